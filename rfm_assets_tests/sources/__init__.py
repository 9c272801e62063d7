"""Test sources written on demand (never checked in): shapes that real shops have and the embedded data lacks."""
