"""Reports for officers: the applicant export (XLSX/CSV), the recruitment summary (rekap) as
text and chart, and the announcement PDF of one kelurahan's results. No channel here."""
