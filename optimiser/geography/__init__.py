"""England as a travel network: geodesics, the built-in road network or an instance's own,
and the distance matrix every method prices with."""
