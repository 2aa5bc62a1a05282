"""Chapter 09's graded exercise: least privilege for a report-bot ServiceAccount."""
