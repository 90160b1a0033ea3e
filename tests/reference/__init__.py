"""Independent pandas reference for the warehouse: landing files in, KPI tables out (the test oracle)."""
