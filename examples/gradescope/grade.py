#!/usr/bin/env python3
"""Grade a Gradescope submission's answers.json with dlcheck's POST /grade.

Python 3.6+ standard library only, so the autograder image needs no setup.

Reads, under AUTOGRADER_ROOT (default /autograder):
  submission_metadata.json   the submitter (users[0].email, or users[0].id)
  submission/answers.json    {"<question id>": <answer>, ...}
  source/config.json         optional: url, token, questions, weights, student_field,
                             visibility, timeout, retry_seconds, language
and the environment, which overrides config.json: DLCHECK_URL, DLCHECK_TOKEN,
DLCHECK_QUESTIONS (comma-separated ids), DLCHECK_STUDENT_FIELD, DLCHECK_TIMEOUT,
DLCHECK_RETRY_SECONDS, DLCHECK_LANGUAGE (the feedback's: en, the default, or fr).

A busy or briefly unreachable service (429, 502, 503, 504, a refused or reset connection, a
timeout) is tried again, after the Retry-After the service sends or else 1, 2, 4, ... s (at
most 30), for up to retry_seconds in all (default 120): the deadline rush is when a blip
happens.

Writes results/results.json in Gradescope's format, one test per question, and exits 0.
A missing or unreadable answers.json is the student's problem: score 0 and a top-level
output saying what was expected. A problem only staff can fix (the service unreachable or
answering non-200, no submitter in the metadata, a bad config.json) prints the error to
stderr and exits 1 WITHOUT writing results.json: Gradescope then shows the submission as
failed to grade, and staff can re-run it once the problem is fixed, instead of students
being recorded a 0. The token is never printed.
"""
import http.client
import json
import math
import os
import sys
import tempfile
import time
import urllib.error
import urllib.request

DEFAULT_URL = 'http://127.0.0.1:3000'
DEFAULT_TIMEOUT = 60.0
DEFAULT_RETRY_SECONDS = 120.0
# Answers that say "try again shortly": too many requests, a proxy's bad gateway or timeout, overload.
RETRYABLE_STATUSES = (429, 502, 503, 504)
# The service's GET /questions, in its order; a question not listed here is named by its id alone.
TITLES = {
    '1.1-swish': 'How far Swish is from ReLU',
    '1.2-relu-decomposition': 'A piecewise-linear function with ReLUs',
    '1.4-log-softmax': 'Stable log-softmax',
    '2-logistic-mixture': 'A mixture of logistic regressions',
    '3.2-param-count': 'Parameters of an MLP',
    '3.2-hessian-shape': 'Shape of the Hessian of an MLP',
    '3.6-hvp': 'Exact Hessian-vector product',
    '4.1-output-shape': 'Output resolution of a small CNN',
    '4.3-conv-matrix': 'A convolution as a matrix',
    '4.4-transposed-conv-matrix': 'A transposed convolution as a matrix',
    '5.1-output-shape': 'Output resolution of a padded CNN',
    '5.3-receptive-field': 'Receptive field of the output features',
    '3.1-largest-eigenvalue': 'Largest Hessian eigenvalue and the learning rate',
}
DEFAULT_QUESTIONS = list(TITLES)
# The same, in French (GET /questions with Accept-Language: fr).
TITLES_FR = {
    '1.1-swish': 'Distance entre Swish et ReLU',
    '1.2-relu-decomposition': 'Une fonction affine par morceaux avec des ReLU',
    '1.4-log-softmax': 'Log-softmax stable',
    '2-logistic-mixture': 'Un mélange de régressions logistiques',
    '3.2-param-count': 'Paramètres d’un MLP',
    '3.2-hessian-shape': 'Taille de la hessienne d’un MLP',
    '3.6-hvp': 'Produit hessienne-vecteur exact',
    '4.1-output-shape': 'Résolution de sortie d’un petit CNN',
    '4.3-conv-matrix': 'Une convolution comme une matrice',
    '4.4-transposed-conv-matrix': 'Une convolution transposée comme une matrice',
    '5.1-output-shape': 'Résolution de sortie d’un CNN avec remplissage',
    '5.3-receptive-field': 'Champ récepteur des caractéristiques de sortie',
    '3.1-largest-eigenvalue': 'Plus grande valeur propre de la hessienne et taux d’apprentissage',
}
# What students read, in the configured language (the service's feedback follows it too).
TEXT = {
    'en': {
        'titles': TITLES,
        'no_answer': '{file} has no answer for "{question}".',
        'format_error': 'Format error, not a wrong answer: your answer could not be read. Fix its format and resubmit.',
        'parameters': 'Your parameters: {params}',
        'graded': 'Graded {count} question{plural} against your own variant of each: {score:g} / {maximum:g}.',
        'missing': 'No answer in {file} for: {questions}.',
        'unreadable': 'Answers that could not be read (a format error, see each question): {questions}.',
        'ignored': 'Ignored keys of {file} that are not questions of this assignment: {keys}. The ids are: {ids}.',
        'ungraded': '{message}\nNothing was graded. Expected {file}: one JSON object mapping each question id to your answer for your own variant '
                    '(a number, a list of numbers, or a matrix as a list of rows), e.g.\n{example}\nQuestion ids: {ids}.',
        'not_graded': 'Not graded: {file} could not be read (see above).',
        'no_file': 'No {file} in your submission. Submit a file named exactly {file}.',
        'several': 'Found several {file} files ({names}); submit exactly one, at the top level.',
        'unreadable_file': 'Could not read {file}: {error}.',
        'too_large': '{file} is over {kib} KiB; it should hold only your answers.',
        'not_utf8': '{file} is not UTF-8 text.',
        'not_json': '{file} is not valid JSON: {error}.',
        'too_deep': '{file} is nested too deeply to be an answer sheet.',
        'not_object': '{file} must hold one JSON object mapping question ids to answers, not a {kind}.',
        'kinds': {'list': 'list', 'str': 'string', 'int': 'number', 'float': 'number', 'bool': 'true/false', 'NoneType': 'null'},
    },
    'fr': {
        'titles': TITLES_FR,
        'no_answer': '{file} n’a pas de réponse pour « {question} ».',
        'format_error': 'Erreur de format, pas une mauvaise réponse : votre réponse n’a pas pu être lue. Corrigez son format et soumettez à nouveau.',
        'parameters': 'Vos paramètres : {params}',
        'graded': '{count} question{plural} corrigée{plural} avec vos propres paramètres : {score:g} / {maximum:g}.',
        'missing': 'Aucune réponse dans {file} pour : {questions}.',
        'unreadable': 'Réponses illisibles (une erreur de format, voir chaque question) : {questions}.',
        'ignored': 'Clés de {file} ignorées, qui ne sont pas des questions de ce devoir : {keys}. Les identifiants sont : {ids}.',
        'ungraded': '{message}\nRien n’a été corrigé. {file} doit contenir un objet JSON qui associe à chaque identifiant de question votre réponse '
                    'pour vos propres paramètres (un nombre, une liste de nombres, ou une matrice en liste de lignes), p. ex.\n{example}\n'
                    'Identifiants des questions : {ids}.',
        'not_graded': 'Non corrigée : {file} n’a pas pu être lu (voir plus haut).',
        'no_file': 'Aucun fichier {file} dans votre soumission. Soumettez un fichier nommé exactement {file}.',
        'several': 'Plusieurs fichiers {file} trouvés ({names}); soumettez-en un seul, au premier niveau.',
        'unreadable_file': 'Impossible de lire {file} : {error}.',
        'too_large': '{file} dépasse {kib} Kio; il ne doit contenir que vos réponses.',
        'not_utf8': '{file} n’est pas du texte UTF-8.',
        'not_json': '{file} n’est pas du JSON valide : {error}.',
        'too_deep': '{file} est trop imbriqué pour être une feuille de réponses.',
        'not_object': '{file} doit contenir un objet JSON qui associe des identifiants de questions à des réponses, pas {kind}.',
        'kinds': {'list': 'une liste', 'str': 'une chaîne', 'int': 'un nombre', 'float': 'un nombre', 'bool': 'un booléen', 'NoneType': 'null'},
    },
}
# French punctuation as the Office québécois de la langue française sets it, as the service
# does: a no-break space before a colon and inside « », so no line starts with either.
TEXT['fr'] = {key: value.replace(' :', '\u00a0:').replace('« ', '«\u00a0').replace(' »', '\u00a0»') if isinstance(value, str) else value
              for key, value in TEXT['fr'].items()}
ANSWERS_FILE = 'answers.json'
# Far above any real answer sheet (the largest answer is a 49 × 9 matrix), far below the
# service's 1 MiB body limit: a student's huge file must not turn into a 413 staff must handle.
MAX_ANSWERS_BYTES = 256 * 1024
VISIBILITIES = ('hidden', 'after_due_date', 'after_published', 'visible')
EXAMPLE = '{"3.2-param-count": 284682, "5.3-receptive-field": [9, 9], "4.3-conv-matrix": [[5, 6, 0, 8], [0, 4, 5, 0]]}'


# Every token read, so that no message printed can carry one.
SECRETS = []


class StaffError(Exception):
    """A problem staff must fix; the submission is left ungraded so it can be re-run."""


class SubmissionError(Exception):
    """A problem with the student's file; graded 0 with this message."""


def load_json_file(path, what):
    try:
        with open(path, 'rb') as handle:
            return json.loads(handle.read().decode('utf-8-sig'))
    except (OSError, ValueError) as error:
        # ValueError covers JSONDecodeError and UnicodeDecodeError; neither quotes the file's content.
        raise StaffError('cannot read {} {}: {}'.format(what, path, error))


def env(name):
    """An environment variable, an empty one counting as unset."""
    value = os.environ.get(name, '')
    return value if value != '' else None


def load_config(root):
    path = os.path.join(root, 'source', 'config.json')
    config = load_json_file(path, 'the config') if os.path.exists(path) else {}
    if not isinstance(config, dict):
        raise StaffError('{} must hold a JSON object, e.g. {{"url": "https://dlcheck.example.edu", "token": "..."}}'.format(path))
    for key, name in (('url', 'DLCHECK_URL'), ('token', 'DLCHECK_TOKEN'), ('questions', 'DLCHECK_QUESTIONS'),
                      ('student_field', 'DLCHECK_STUDENT_FIELD'), ('timeout', 'DLCHECK_TIMEOUT'),
                      ('retry_seconds', 'DLCHECK_RETRY_SECONDS'), ('language', 'DLCHECK_LANGUAGE')):
        if env(name) is not None:
            config[key] = env(name)

    token = config.get('token')
    if token is not None and not isinstance(token, str):
        raise StaffError('token in config.json must be a string')
    if token:
        SECRETS.append(token)
    url = config.get('url', DEFAULT_URL)
    if not isinstance(url, str) or not url.startswith(('http://', 'https://')):
        raise StaffError('the service URL (url in config.json, or DLCHECK_URL) must start with http:// or https://, got {!r}'.format(url))

    questions = config.get('questions', DEFAULT_QUESTIONS)
    if isinstance(questions, str):
        questions = [question.strip() for question in questions.split(',')]
    if not isinstance(questions, list) or not all(isinstance(question, str) for question in questions):
        raise StaffError('questions (config.json, or DLCHECK_QUESTIONS) must be a list of question ids or a comma-separated string')
    unique = []
    for question in questions:
        if question != '' and question not in unique:
            unique.append(question)
    if not unique:
        raise StaffError('questions (config.json, or DLCHECK_QUESTIONS) lists no question')

    weights = config.get('weights', {})
    if not isinstance(weights, dict) or not all(
            isinstance(weight, (int, float)) and not isinstance(weight, bool) and weight > 0 for weight in weights.values()):
        raise StaffError('weights in config.json must map question ids to positive numbers, e.g. {"4.3-conv-matrix": 2}')

    student_field = config.get('student_field', 'email')
    if student_field not in ('email', 'id'):
        raise StaffError('student_field (config.json, or DLCHECK_STUDENT_FIELD) must be "email" or "id", got {!r}'.format(student_field))
    visibility = config.get('visibility')
    if visibility is not None and visibility not in VISIBILITIES:
        raise StaffError('visibility in config.json must be one of {}, got {!r}'.format(', '.join(VISIBILITIES), visibility))
    try:
        timeout = float(config.get('timeout', DEFAULT_TIMEOUT))
    except (TypeError, ValueError):
        raise StaffError('timeout (config.json, or DLCHECK_TIMEOUT) must be a number of seconds')
    if not timeout > 0:
        raise StaffError('timeout (config.json, or DLCHECK_TIMEOUT) must be positive')
    try:
        retry_seconds = float(config.get('retry_seconds', DEFAULT_RETRY_SECONDS))
    except (TypeError, ValueError):
        raise StaffError('retry_seconds (config.json, or DLCHECK_RETRY_SECONDS) must be a number of seconds')
    if not retry_seconds >= 0 or not math.isfinite(retry_seconds):
        raise StaffError('retry_seconds (config.json, or DLCHECK_RETRY_SECONDS) must be 0 (no retry) or more')
    language = config.get('language', 'en')
    if language not in ('en', 'fr'):
        raise StaffError('language (config.json, or DLCHECK_LANGUAGE) must be "en" or "fr", got {!r}'.format(language))
    return {
        'url': url.rstrip('/'), 'token': token, 'questions': unique, 'weights': weights,
        'student_field': student_field,
        'visibility': visibility, 'timeout': timeout, 'retry_seconds': retry_seconds,
        'language': language,
    }


def load_student(root, field):
    path = os.path.join(root, 'submission_metadata.json')
    metadata = load_json_file(path, "Gradescope's metadata")
    users = metadata.get('users') if isinstance(metadata, dict) else None
    user = users[0] if isinstance(users, list) and users and isinstance(users[0], dict) else {}
    student = user.get(field)
    if isinstance(student, bool) or not isinstance(student, (str, int)) or str(student) == '':
        raise StaffError('{} has no users[0].{}: cannot tell whose variant to grade'.format(path, field))
    return str(student)


def keep_as_text(text):
    """NaN, Infinity and 1e999 are not JSON the service accepts: send them as the text they were."""
    return text


def parse_float(text):
    number = float(text)
    return number if math.isfinite(number) else text


def find_answers(submission, text):
    path = os.path.join(submission, ANSWERS_FILE)
    if os.path.isfile(path):
        return path
    # An upload from GitHub or a zip may put it in a folder: accept exactly one answers.json anywhere.
    found = []
    for folder, _, files in os.walk(submission):
        if ANSWERS_FILE in files:
            found.append(os.path.join(folder, ANSWERS_FILE))
    if len(found) == 1:
        return found[0]
    if found:
        names = ', '.join(sorted(os.path.relpath(name, submission) for name in found))
        raise SubmissionError(text['several'].format(file=ANSWERS_FILE, names=names))
    raise SubmissionError(text['no_file'].format(file=ANSWERS_FILE))


def load_answers(root, text):
    """The student's answers, or SubmissionError saying what was expected (in the configured language)."""
    path = find_answers(os.path.join(root, 'submission'), text)
    name = os.path.relpath(path, os.path.join(root, 'submission'))
    try:
        with open(path, 'rb') as handle:
            data = handle.read(MAX_ANSWERS_BYTES + 1)
    except OSError as error:
        raise SubmissionError(text['unreadable_file'].format(file=name, error=error.strerror or error))
    if len(data) > MAX_ANSWERS_BYTES:
        raise SubmissionError(text['too_large'].format(file=name, kib=MAX_ANSWERS_BYTES // 1024))
    try:
        answers = json.loads(data.decode('utf-8-sig'), parse_constant=keep_as_text, parse_float=parse_float)
    except UnicodeDecodeError:
        raise SubmissionError(text['not_utf8'].format(file=name))
    except ValueError as error:
        raise SubmissionError(text['not_json'].format(file=name, error=error))
    except RecursionError:
        raise SubmissionError(text['too_deep'].format(file=name))
    if not isinstance(answers, dict):
        kind = text['kinds'].get(type(answers).__name__, 'null')
        raise SubmissionError(text['not_object'].format(file=name, kind=kind))
    return answers


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect would resend the token elsewhere or drop the body: fail instead."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def redacted(message):
    """The message with the token, wherever it came from, replaced: it is never printed."""
    for secret in SECRETS + [env('DLCHECK_TOKEN') or '']:
        if secret:
            message = message.replace(secret, '[token]')
    return message


class TryAgain(StaffError):
    """A failure that may pass: the service busy or briefly unreachable."""

    def __init__(self, message, retry_after=None):
        super().__init__(message)
        self.retry_after = retry_after


def retry_after_seconds(value):
    """Retry-After in seconds (RFC 9110 §10.2.3); the HTTP-date form is left to the backoff."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    return seconds if seconds >= 0 and math.isfinite(seconds) else None


def post_grade(config, body):
    """POST /grade, tried again while the service is busy or unreachable, within retry_seconds."""
    deadline = time.monotonic() + config['retry_seconds']
    backoff = 1.0
    attempts = 1
    while True:
        try:
            return post_grade_once(config, body)
        except TryAgain as error:
            wait = error.retry_after if error.retry_after is not None else backoff
            if time.monotonic() + wait > deadline:
                if attempts == 1:
                    raise
                raise StaffError('{} (gave up after {} attempts over {:g} s, DLCHECK_RETRY_SECONDS)'.format(error, attempts, config['retry_seconds']))
            print('dlcheck: {}; trying again in {:g} s'.format(redacted(str(error)), wait), file=sys.stderr)
            time.sleep(wait)
            backoff = min(backoff * 2, 30.0)
            attempts += 1


def post_grade_once(config, body):
    url = config['url'] + '/grade'
    headers = {'Content-Type': 'application/json', 'Accept': 'application/json', 'Accept-Language': config['language']}
    if config['token'] is not None:
        headers['Authorization'] = 'Bearer ' + config['token']
    request = urllib.request.Request(url, data=json.dumps(body).encode('utf-8'), headers=headers, method='POST')
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=config['timeout']) as response:
            text = response.read().decode('utf-8', 'replace')
    except urllib.error.HTTPError as error:
        detail = error.read(4000).decode('utf-8', 'replace')
        try:
            parsed = json.loads(detail)
            detail = '{} ({}): {}'.format(parsed.get('error', ''), parsed.get('code', ''), parsed['message'])
        except (ValueError, KeyError, TypeError, AttributeError):
            pass
        if 300 <= error.code < 400:
            detail = 'a redirect to {}, not followed: set the URL to where the service is'.format(error.headers.get('Location'))
        message = 'POST {} answered {}: {}'.format(url, error.code, detail)
        if error.code in RETRYABLE_STATUSES:
            raise TryAgain(message, retry_after_seconds(error.headers.get('Retry-After')))
        raise StaffError(message)
    except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
        raise TryAgain('cannot reach the service at {}: {}'.format(url, getattr(error, 'reason', error)))
    try:
        result = json.loads(text)
        items = result['items']
        if [item['question'] for item in items] != [item['question'] for item in body['items']]:
            raise ValueError('the graded items are not the questions sent')
        return result
    except (ValueError, KeyError, TypeError) as error:
        raise StaffError('POST {} answered 200 but not a grading result ({}): {}'.format(url, error, text[:500]))


def title(question, text):
    return '{}: {}'.format(question, text['titles'][question]) if question in text['titles'] else question


def test_output(item, answered, text):
    lines = []
    if not answered:
        lines.append(text['no_answer'].format(file=ANSWERS_FILE, question=item['question']))
    elif item.get('invalid'):
        # A format error, as PrairieLearn marks one: the answer could not be read, so it says
        # nothing of the student's understanding; they fix the format and resubmit.
        lines.append(text['format_error'])
    # The service's feedback never states the expected value, so students may read it.
    lines.append(item['feedback'])
    lines.append(text['parameters'].format(params=json.dumps(item['params'], ensure_ascii=False)))
    return '\n'.join(lines)


def grade(config, student, answers):
    body = {'student': student, 'items': []}
    for question in config['questions']:
        item = {'question': question, 'answer': answers.get(question)}
        if question in config['weights']:
            item['weight'] = config['weights'][question]
        body['items'].append(item)
    result = post_grade(config, body)
    text = TEXT[config['language']]
    tests = [{
        'name': title(item['question'], text),
        'score': item['score'],
        'max_score': item['maxScore'],
        'output': test_output(item, item['question'] in answers, text),
    } for item in result['items']]
    score = sum(test['score'] for test in tests)
    maximum = sum(test['max_score'] for test in tests)
    notes = [text['graded'].format(count=len(tests), plural='' if len(tests) == 1 else 's', score=score, maximum=maximum)]
    missing = [question for question in config['questions'] if question not in answers]
    if missing:
        notes.append(text['missing'].format(file=ANSWERS_FILE, questions=', '.join(missing)))
    unreadable = [item['question'] for item in result['items'] if item.get('invalid') and item['question'] in answers]
    if unreadable:
        notes.append(text['unreadable'].format(questions=', '.join(unreadable)))
    unknown = sorted(key for key in answers if key not in config['questions'])
    if unknown:
        shown = ', '.join(json.dumps(key[:100], ensure_ascii=False) for key in unknown[:10]) + (', …' if len(unknown) > 10 else '')
        notes.append(text['ignored'].format(file=ANSWERS_FILE, keys=shown, ids=', '.join(config['questions'])))
    return {'score': score, 'output': '\n'.join(notes), 'tests': tests}


def ungraded(config, message):
    """Score 0 for a submission whose answers could not be read, every question listed at 0."""
    text = TEXT[config['language']]
    output = text['ungraded'].format(message=message, file=ANSWERS_FILE, example=EXAMPLE, ids=', '.join(config['questions']))
    tests = [{
        'name': title(question, text), 'score': 0, 'max_score': config['weights'].get(question, 1),
        'output': text['not_graded'].format(file=ANSWERS_FILE),
    } for question in config['questions']]
    return {'score': 0, 'output': output, 'tests': tests}


def write_results(root, results):
    folder = os.path.join(root, 'results')
    os.makedirs(folder, exist_ok=True)
    # Write then rename, so a crash never leaves a half-written results.json.
    handle, temporary = tempfile.mkstemp(dir=folder, suffix='.json')
    with os.fdopen(handle, 'w', encoding='utf-8') as out:
        json.dump(results, out, indent=2)
        out.write('\n')
    os.replace(temporary, os.path.join(folder, 'results.json'))


def main():
    root = env('AUTOGRADER_ROOT') or '/autograder'
    config = load_config(root)
    student = load_student(root, config['student_field'])
    try:
        answers = load_answers(root, TEXT[config['language']])
    except SubmissionError as error:
        results = ungraded(config, str(error))
        print('dlcheck: not graded: {}'.format(error))
    else:
        results = grade(config, student, answers)
        print('dlcheck: graded {} for {}: {:g}'.format(', '.join(config['questions']), student, results['score']))
    if config['visibility'] is not None:
        results['visibility'] = config['visibility']
    write_results(root, results)


if __name__ == '__main__':
    try:
        main()
    except StaffError as error:
        print('dlcheck autograder: {}\nresults.json was not written: fix this, then re-run the autograder on the affected submissions.'.format(
            redacted(str(error))), file=sys.stderr)
        sys.exit(1)
