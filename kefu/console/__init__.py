"""The web console (/console/): report dashboards, the live wallboard and the audit viewer for
the people who read, served by the same falcon app as the API (docs/console.md)."""
