"""Supervisors' review desk: the queue of submitted reports, rework history, the conflicts
and late-edits inbox, and spot checks ("three checks, one call")."""
