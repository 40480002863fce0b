"""Runtime of kpps-bot: settings, wiring, CLI and channel adapters."""
