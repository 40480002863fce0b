"""Persistence: SQLAlchemy 2 async models, repositories and migrations.

Knows neither the chat channels nor the conversation logic.
"""
