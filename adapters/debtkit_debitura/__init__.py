"""Debitura adapter for debtkit (a network of collection partners)."""
