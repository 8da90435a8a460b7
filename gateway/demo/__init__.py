"""Local stand-ins for partner systems, used by the product demo and by end-to-end tests."""
