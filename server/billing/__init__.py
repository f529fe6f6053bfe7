"""Monthly billing figures per customer, imported from the operator's CSV files."""
