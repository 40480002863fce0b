"""Fictitious demo data for Kota Kendari (see README.md in this folder)."""
