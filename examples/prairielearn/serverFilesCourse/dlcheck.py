"""dlcheck for PrairieLearn questions: each student's variant from the service, graded by it.

Python 3.6+ standard library only. Put this file in the course's serverFilesCourse/ (on the
path of every question's server.py, never sent to students) with dlcheck_config.json beside it:

    {"url": "https://dlcheck.example.edu", "token": "<GRADER_TOKEN>", "language": "fr"}

"language" (en, the default, or fr) is the language of the statements and of the feedback.
DLCHECK_URL, DLCHECK_TOKEN and DLCHECK_LANGUAGE in the environment override the file (for tests).

PrairieLearn gives server.py no student identity, only data["variant_seed"]: a variant is
seeded by it ("pl-variant-<seed>"), so each PrairieLearn variant has its own numbers, drawn by
the service's HMAC and checked by the service's computation.
"""
import json
import math
import os
import time
import urllib.error
import urllib.parse
import urllib.request

# A question's code must finish within PrairieLearn's own time limit (questionTimeoutMilliseconds,
# 10 s by default): every call of one generate() or grade() shares this budget, retries included.
BUDGET_SECONDS = 8.0
RETRYABLE_STATUSES = (429, 502, 503, 504)


class ServiceError(Exception):
    """The service could not be used: the variant cannot be built, or the answer graded."""


def config():
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'dlcheck_config.json')
    settings = {}
    if os.path.exists(path):
        with open(path, encoding='utf-8') as handle:
            settings = json.load(handle)
    url = os.environ.get('DLCHECK_URL') or settings.get('url') or 'http://127.0.0.1:3000'
    token = os.environ.get('DLCHECK_TOKEN') or settings.get('token')
    language = os.environ.get('DLCHECK_LANGUAGE') or settings.get('language') or 'en'
    return url.rstrip('/'), token, language


def call(method, path, body, deadline):
    """One request, tried again while the service is busy or unreachable (Retry-After honoured), until `deadline`."""
    url, token, language = config()
    headers = {'Accept': 'application/json', 'Accept-Language': language}
    if token:
        headers['Authorization'] = 'Bearer ' + token
    data = None
    if body is not None:
        headers['Content-Type'] = 'application/json'
        data = json.dumps(body).encode('utf-8')
    backoff = 0.5
    while True:
        wait = backoff
        try:
            request = urllib.request.Request(url + path, data=data, headers=headers, method=method)
            with urllib.request.urlopen(request, timeout=max(0.1, deadline - time.monotonic())) as response:
                return json.loads(response.read().decode('utf-8'))
        except urllib.error.HTTPError as error:
            if error.code not in RETRYABLE_STATUSES:
                raise ServiceError('{} {} answered {}: {}'.format(method, path, error.code, error.read(2000).decode('utf-8', 'replace')))
            problem = 'answered {}'.format(error.code)
            try:
                given = float(error.headers.get('Retry-After'))
                wait = given if given >= 0 and math.isfinite(given) else backoff
            except (TypeError, ValueError):
                pass
        except (urllib.error.URLError, OSError) as error:
            problem = 'cannot be reached: {}'.format(getattr(error, 'reason', error))
        if time.monotonic() + wait > deadline:
            raise ServiceError('{} {}: the service {}, and was still so when the time allowed ran out'.format(method, path, problem))
        time.sleep(wait)
        backoff = min(backoff * 2, 4.0)


def student(seed):
    """The service's student for a PrairieLearn variant: its variant, and its lines in the audit log."""
    return 'pl-variant-{}'.format(seed)


def variant(question, seed, deadline):
    """The service's variant of `question` for a PrairieLearn variant seed: params and statement."""
    path = '/questions/{}/variant?student={}'.format(urllib.parse.quote(question), urllib.parse.quote(student(seed)))
    return call('GET', path, None, deadline)


def graded(question, seed, params, answer, deadline):
    """The service's verdict on one answer for `params`: correct, invalid, feedback, expected."""
    item = {'question': question, 'params': params, 'answer': answer}
    result = call('POST', '/grade', {'student': student(seed), 'items': [item]}, deadline)
    return result['items'][0]


def generate(data, question, name='answer'):
    """server.py's generate(): the variant's params, its statement, and the correct answer."""
    deadline = time.monotonic() + BUDGET_SECONDS
    found = variant(question, data['variant_seed'], deadline)
    data['params']['dlcheck'] = found['params']
    data['params']['statement'] = found['statement']
    # An empty answer is graded invalid, with the expected answer beside it: the correct answer.
    data['correct_answers'][name] = graded(question, data['variant_seed'], found['params'], None, deadline)['expected']


def reject_constant(name):
    """NaN and Infinity are not JSON: the list stays text, which the service reads as invalid."""
    raise ValueError(name)


def grade(data, question, name='answer'):
    """server.py's grade(): what the student typed, graded by the service.

    An answer the service cannot read (a decimal comma, a wrong shape) becomes a format error,
    as PrairieLearn's own inputs report one: the submission is invalid, not wrong, and does not
    use up an attempt.
    """
    # As the input element parsed it (remove-spaces applied: "284 682" is 284682).
    typed = data['submitted_answers'].get(name)
    try:
        answer = json.loads(typed, parse_constant=reject_constant) if isinstance(typed, str) and typed.strip().startswith('[') else typed
    except (ValueError, RecursionError):
        answer = typed
    item = graded(question, data['variant_seed'], data['params']['dlcheck'], answer, time.monotonic() + BUDGET_SECONDS)
    if item['invalid']:
        data['format_errors'][name] = item['feedback']
        return
    score = 1.0 if item['correct'] else 0.0
    data['partial_scores'][name] = {'score': score, 'weight': 1, 'feedback': item['feedback']}
    data['feedback'][name] = item['feedback']
    data['score'] = score
