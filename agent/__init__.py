"""newsbrief: several news reports of one story in, a grounded, structured brief out."""

__version__ = "0.1.0"
