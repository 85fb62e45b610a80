import t from 'tap'
import { arrowCount, parseArchitecture } from '../../src/math/architecture.js'
import { NotationSyntaxError } from '../../src/math/errors.js'

t.test('the assignment\'s notation, verbatim', async (t) => {
  const q41 = parseArchitecture('Image → Conv-3x3 → ReLU → Conv-3x3 → MaxPool-2x2 → Conv-3x3 → ReLU → Output')
  t.strictSame(q41.map((layer) => layer.type), ['conv', 'relu', 'conv', 'maxpool', 'conv', 'relu'])
  t.strictSame(q41[3], { type: 'maxpool', name: 'MaxPool-2x2', position: 38, kernel: [2, 2] })
  const q42 = parseArchitecture('Image → Conv-5x5 → ReLU → Conv-5x5 → ReLU → Global Avg. Pool → FC-128 → FC-1 (Output)')
  t.strictSame(q42.map((layer) => [layer.type, layer.out]), [['conv', undefined], ['relu', undefined], ['conv', undefined], ['relu', undefined], ['globalavgpool', undefined], ['fc', 128], ['fc', 1]])
  t.equal(q42[6].name, 'FC-1 (Output)')
  t.strictSame(parseArchitecture('Image -> Conv-3x3 -> Output').map((layer) => layer.kernel), [[3, 3]], 'ASCII arrows')
  t.strictSame(parseArchitecture('ReLU->Conv-3x3->FC-2').map((layer) => layer.type), ['relu', 'conv', 'fc'], 'an ASCII arrow right after a name is not a size')
})

t.test('settings and spellings', async (t) => {
  const [conv] = parseArchitecture('Conv-3x3(stride=2, padding=1, dilation=2, out=16)')
  t.strictSame(conv, { type: 'conv', name: 'Conv-3x3(stride=2, padding=1, dilation=2, out=16)', position: 1, kernel: [3, 3], stride: [2, 2], padding: [1, 1], dilation: [2, 2], out: 16 })
  const [rect] = parseArchitecture('conv2d-3×5 (pad=1x2, channels=4, bias=false)')
  t.strictSame([rect.kernel, rect.padding, rect.out, rect.bias], [[3, 5], [1, 2], 4, false])
  t.strictSame(parseArchitecture('Conv-7').map((layer) => layer.kernel), [[7, 7]], 'Conv-7 means 7×7')
  t.strictSame(parseArchitecture('FC-10(bias=TRUE)').map((layer) => layer.bias), [true])
  t.strictSame(parseArchitecture('Input → BN → Global Average Pooling → Linear-10 → Softmax').map((layer) => layer.type), ['batchnorm', 'globalavgpool', 'fc', 'softmax'])
  t.strictSame(parseArchitecture('AvgPool-3x3(stride=2, padding=1) → MaxPool-3(dilation=2) → Dropout → Flatten').map((layer) => layer.type), ['avgpool', 'maxpool', 'dropout', 'flatten'])
})

t.test('syntax errors give the position and the token', async (t) => {
  const cases: Array<[string, number, string, RegExp]> = [
    ['Conv-3x3 → Rleu', 12, 'Rleu', /unknown layer 'Rleu'/],
    ['Conv-3x3 → → ReLU', 12, '→', /expected a layer name/],
    ['Conv-3x3 →', 11, 'end of input', /expected a layer such as Conv-3x3/],
    ['Conv-3x3(strid=2)', 10, 'strid', /unknown setting 'strid' for Conv; known: stride, padding, dilation, out, bias/],
    ['Conv-3x3(stride=2', 18, 'end of input', /expected "," or "\)"/],
    ['Conv-3x3(stride 2)', 17, '2', /expected "=" after 'stride'/],
    ['Conv-3x3(stride=)', 17, ')', /stride must be an integer or AxB/],
    ['Conv-3x3(out=3x4)', 14, '3x4', /out is a channel count/],
    ['Conv-3x3(bias=yes)', 15, 'yes', /bias must be true or false/],
    ['Conv-3x', 8, 'end of input', /expected an integer after "x"/],
    ['Conv-', 6, 'end of input', /expected a size after "Conv-"/],
    ['Conv → ReLU', 5, '→', /Conv needs a size, as in Conv-3x3/],
    ['FC → ReLU', 3, '→', /FC needs a size, as in FC-128/],
    ['FC-3x4', 1, 'FC', /FC-N takes one integer/],
    ['ReLU-3', 1, 'ReLU', /ReLU takes no size/],
    ['ReLU(out=3)', 6, 'out', /ReLU takes no settings/],
    ['Conv-3x3 ReLU', 10, 'ReLU', /expected "→" or "->" between layers/],
    ['Conv-3x3 → Output → ReLU', 21, 'ReLU', /Output must be the last element/],
    ['Conv-3x3 → Image', 12, 'Image', /Image may only open the chain/],
    ['Conv-2000000', 6, '2000000', /2000000 is larger than 1000000/],
    ['Image → Output', 1, 'Image → Output', /the architecture has no layers/],
    ['', 1, 'end of input', /expected a layer such as Conv-3x3/],
    ['Conv-3x3(, stride=1)', 10, ',', /expected a setting such as stride=2/]
  ]
  for (const [text, position, token, message] of cases) {
    try {
      parseArchitecture(text)
      t.fail(`${JSON.stringify(text)} parsed`)
    } catch (error) {
      t.ok(error instanceof NotationSyntaxError, `${text}: a NotationSyntaxError`)
      const syntax = error as NotationSyntaxError
      t.match(syntax, { statusCode: 400, position, token, message }, JSON.stringify(text))
    }
  }
  t.throws(() => parseArchitecture('Conv-3x3 → Rleu', 'layers'), { message: /^layers: syntax error at position 12 near 'Rleu'/ })
})

t.test('the notation as the assignment writes it in LaTeX: \\to, \\rightarrow, \\times, LaTeX spaces, $…$', async (t) => {
  const plain = parseArchitecture('Image → Conv-5x5(out=16) → ReLU → Global Avg. Pool → FC-1 (Output)')
  const latex = parseArchitecture('$Image \\rightarrow Conv-5x5(out=16) \\longrightarrow ReLU \\to Global \\ Avg. \\ Pool \\to FC-1 (Output)$')
  t.strictSame(latex.map(({ position, name, ...layer }) => layer), plain.map(({ position, name, ...layer }) => layer), 'the same layers')
  t.strictSame(latex.map((layer) => layer.name), ['Conv-5x5(out=16)', 'ReLU', 'Global \\ Avg. \\ Pool', 'FC-1 (Output)'], 'named as written, without the spaces after them')
  t.match(parseArchitecture('Conv-3 \\times 5 -> Global~Max~Pool'), [{ type: 'conv', kernel: [3, 5] }, { type: 'globalmaxpool' }])
  t.equal(arrowCount('A \\to B \\rightarrow C \\longrightarrow D → E -> F \\tofu'), 5, 'arrows counted without parsing; \\tofu is not \\to')
  t.throws(() => parseArchitecture('Conv-3x3 \\tofu ReLU'), { position: 10, token: '\\tofu', message: /expected "→" or "->" between layers/ })
  t.throws(() => parseArchitecture('Conv\\text{-}3x3'), { message: /near '\\text'/ }, 'the rest of LaTeX is not notation')
})
