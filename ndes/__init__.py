"""NDES + SCEP for Intune as declared, previewable, refreshable resources."""
