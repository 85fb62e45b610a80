"""Question 3.2-param-count of the assignment, each variant's numbers from dlcheck and graded by it."""
import dlcheck

QUESTION = '3.2-param-count'


def generate(data):
    dlcheck.generate(data, QUESTION)


def grade(data):
    dlcheck.grade(data, QUESTION)
