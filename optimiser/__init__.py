"""Everything that turns an Instance into a plan: distances, costs, model, solve, outputs."""
