"""Channel adapters: platform update → Incoming; Reply → platform calls. Nothing else."""
