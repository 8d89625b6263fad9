"""The rule kinds, one small pure check each, grouped by what they look at."""
