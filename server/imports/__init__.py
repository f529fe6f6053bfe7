"""CSV import (upload, dry run, apply once) and export of customers and sites."""
