"""HTTP routes, one module per resource; each route builds a command and hands it on."""
