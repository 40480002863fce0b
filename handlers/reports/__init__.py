"""Reports for officers: the applicant export (XLSX/CSV). No channel here."""
