"""Placeholder: the lead replaces this with the real showcase."""

print("tether showcase: coming soon")
