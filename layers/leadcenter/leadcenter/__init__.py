"""leadcenter: the shared layer of the Leads Center (domain logic, data access, HTTP glue)."""
