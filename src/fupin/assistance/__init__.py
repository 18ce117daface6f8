"""The assistance ledger in the database: measures, income projects, dividends, the county's
catalogue rows and the 一户一策 plans (spec/assistance.md sections 1.1–1.4; issue 12)."""
