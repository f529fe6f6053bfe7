"""Maintenance work orders (工单): fault repair, on-demand jobs, inspections, accompanying
work, rectification and exception reports, with SLA clocks."""
