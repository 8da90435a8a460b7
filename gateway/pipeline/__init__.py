"""decode -> map -> validate -> route: turn one journaled message into canonical deliveries."""
