"""Pure assignment optimizer: MatchingProblem (frozen dataclasses) in, MatchResult out.

Nothing here imports flask, sqlalchemy or models. The solver itself is issue #3.
"""
