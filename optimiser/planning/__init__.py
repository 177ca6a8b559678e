"""What users run on top of the core: tonight's reallocation and its transfer order,
suggestions, scenarios, bed values and sweeps."""
