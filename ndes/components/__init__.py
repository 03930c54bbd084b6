"""Pulumi ComponentResources: one per plane, and the whole chain (NdesScepDeployment)."""
