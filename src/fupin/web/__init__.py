"""The cadres' workbench: server-rendered pages (HTMX, vendored ECharts), scoped per user."""
