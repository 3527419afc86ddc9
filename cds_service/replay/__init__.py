"""`imaging-cds replay`: run FHIR Bundles and Bulk Data NDJSON exports through a CDS Hooks service, as an EHR would.

sources (read and group by patient) -> builder (hook requests as of the order date) -> targets (in-process or HTTP)
-> outcome (one row per response) -> writers / report.
"""
