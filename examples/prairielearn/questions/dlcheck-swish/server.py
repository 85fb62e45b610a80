"""Question 1.1-swish of the assignment, each variant's numbers from dlcheck and graded by it."""
import dlcheck

QUESTION = '1.1-swish'


def generate(data):
    dlcheck.generate(data, QUESTION)


def grade(data):
    dlcheck.grade(data, QUESTION)
