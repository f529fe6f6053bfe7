"""Tasks (任务) supervisors assign to account managers, with progress computed from visits."""
