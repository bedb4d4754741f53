"""Choosing what to say from retrieved answer units: what the question asks for, which unit says
it, and how sure that choice is (the confidence behind "I don't know")."""
