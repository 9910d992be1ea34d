"""Links to the outside: NATS feeds and peer nodes, webhooks, CRM and spreadsheet connectors."""
