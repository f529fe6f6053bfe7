"""The jobs process: one scheduler for every periodic job (docs/operations.md, "Scheduled
jobs"). schedule.py lists the jobs, tasks.py is what each does, runner.py runs one with its
time limit in a worker process, lease.py keeps a second scheduler idle, model.py records
the runs and says which job failed or is overdue, scheduler.py ties them together."""
