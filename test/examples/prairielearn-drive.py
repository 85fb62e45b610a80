"""Drives the PrairieLearn example's server.py functions as PrairieLearn would (test/examples/prairielearn.test.ts).

argv: the question folder, the variant seed, then the answers to submit; prints one JSON object.
"""
import json
import os
import sys

folder, seed, answers = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
example = os.path.dirname(os.path.dirname(os.path.abspath(folder)))
sys.path.insert(0, os.path.join(example, 'serverFilesCourse'))
sys.path.insert(0, os.path.abspath(folder))
import server  # noqa: E402

generated = {'params': {}, 'correct_answers': {}, 'variant_seed': seed}
server.generate(generated)
submissions = []
for typed in answers:
    data = {
        'params': generated['params'], 'correct_answers': generated['correct_answers'], 'variant_seed': seed,
        'raw_submitted_answers': {'answer': typed}, 'submitted_answers': {'answer': typed},
        'format_errors': {}, 'partial_scores': {}, 'score': 0, 'feedback': {},
    }
    server.grade(data)
    submissions.append({key: data[key] for key in ('format_errors', 'partial_scores', 'score', 'feedback')})
print(json.dumps({'generated': generated, 'submissions': submissions}))
