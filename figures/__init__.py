"""Figures and the dossier: what the line received, per period and per emergency event (no Flask)."""
