"""The theme index: trading-session alignment and theme-over-time series (pure), plus the timeline shell."""
