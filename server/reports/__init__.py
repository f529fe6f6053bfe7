"""Printed reports (PDF from WeasyPrint): visits, repairs, inspections, monthly scorecards."""
