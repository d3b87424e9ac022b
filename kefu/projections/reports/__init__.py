"""Report read-models (报表): fact tables kept by projections, and the report queries over them.

Fact rows carry their business-time-zone buckets (local day, ISO week, month, hour), computed
once at projection time, so a report is a GROUP BY over a table, never a scan of events.
"""
