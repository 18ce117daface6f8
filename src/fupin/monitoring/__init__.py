"""Return-to-poverty monitoring: leads from three channels, the workflow with its clocks,
public notices, risk elimination (issue 5)."""
