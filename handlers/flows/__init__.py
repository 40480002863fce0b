"""Conversation flows. Each is a table of steps; the engine keeps the position."""
