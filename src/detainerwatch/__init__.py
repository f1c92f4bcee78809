"""detainerwatch: evidence-first records of ICE detainers and local cooperation."""

__version__ = "0.1.0"
