"""Simulation, exact dynamic programming and learned policies for replenishment (no Django)."""
