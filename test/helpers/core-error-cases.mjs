// SPEC.md §6 as data: every receive error, as [name, hex bytes, reader options, expected events]. The expected
// strings are what ws 8.23's Receiver reports for the same bytes (checked by test/core/message-reader.test.mjs).

export const CLIENT = { isServer: false };
export const SERVER = { isServer: true };

export const frameError = (code, closeCode, detail, kind = 'RangeError') =>
  `error:${kind}:${code}:${closeCode}:Invalid WebSocket frame: ${detail}`;

export const ERROR_CASES = [
  ['RSV2 set', 'a1 00', CLIENT, [frameError('WS_ERR_UNEXPECTED_RSV_2_3', 1002, 'RSV2 and RSV3 must be clear')]],
  ['RSV3 set', '91 00', CLIENT, [frameError('WS_ERR_UNEXPECTED_RSV_2_3', 1002, 'RSV2 and RSV3 must be clear')]],
  [
    'RSV2 checked before the opcode',
    'a3 00',
    CLIENT,
    [frameError('WS_ERR_UNEXPECTED_RSV_2_3', 1002, 'RSV2 and RSV3 must be clear')]
  ],
  ['RSV1 without deflate', 'c1 00', CLIENT, [frameError('WS_ERR_UNEXPECTED_RSV_1', 1002, 'RSV1 must be clear')]],
  ['RSV1 on a control frame', 'c9 00', CLIENT, [frameError('WS_ERR_UNEXPECTED_RSV_1', 1002, 'RSV1 must be clear')]],
  [
    'RSV1 on a continuation',
    '01 01 61 c0 00',
    CLIENT,
    [frameError('WS_ERR_UNEXPECTED_RSV_1', 1002, 'RSV1 must be clear')]
  ],
  ...[3, 4, 5, 6, 7, 11, 12, 13, 14, 15].map((op) => [
    `reserved opcode ${op}`,
    `8${op.toString(16)} 00`,
    CLIENT,
    [frameError('WS_ERR_INVALID_OPCODE', 1002, `invalid opcode ${op}`)]
  ]),
  ['continuation without a start', '80 00', CLIENT, [frameError('WS_ERR_INVALID_OPCODE', 1002, 'invalid opcode 0')]],
  [
    'non-final continuation without a start',
    '00 01 61',
    CLIENT,
    [frameError('WS_ERR_INVALID_OPCODE', 1002, 'invalid opcode 0')]
  ],
  [
    'text inside a fragmented message',
    '01 01 61 81 01 62',
    CLIENT,
    [frameError('WS_ERR_INVALID_OPCODE', 1002, 'invalid opcode 1')]
  ],
  [
    'binary inside a fragmented message',
    '02 01 61 82 01 62',
    CLIENT,
    [frameError('WS_ERR_INVALID_OPCODE', 1002, 'invalid opcode 2')]
  ],
  [
    'continuation after a finished message',
    '81 01 61 80 01 62',
    CLIENT,
    ['message:text:61', frameError('WS_ERR_INVALID_OPCODE', 1002, 'invalid opcode 0')]
  ],
  ['fragmented close', '08 00', CLIENT, [frameError('WS_ERR_EXPECTED_FIN', 1002, 'FIN must be set')]],
  ['fragmented ping', '09 00', CLIENT, [frameError('WS_ERR_EXPECTED_FIN', 1002, 'FIN must be set')]],
  ['fragmented pong', '0a 00', CLIENT, [frameError('WS_ERR_EXPECTED_FIN', 1002, 'FIN must be set')]],
  [
    'FIN checked before the control length',
    '09 7e',
    CLIENT,
    [frameError('WS_ERR_EXPECTED_FIN', 1002, 'FIN must be set')]
  ],
  [
    'ping of 126 bytes',
    '89 7e 00 7e',
    CLIENT,
    [frameError('WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH', 1002, 'invalid payload length 126')]
  ],
  [
    'pong with 64-bit length',
    '8a 7f',
    CLIENT,
    [frameError('WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH', 1002, 'invalid payload length 127')]
  ],
  [
    'close of 126 bytes',
    '88 7e 00 7e',
    CLIENT,
    [frameError('WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH', 1002, 'invalid payload length 126')]
  ],
  [
    'close of 1 byte',
    '88 01 03',
    CLIENT,
    [frameError('WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH', 1002, 'invalid payload length 1')]
  ],
  [
    'control length checked before the mask bit',
    '89 7e',
    SERVER,
    [frameError('WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH', 1002, 'invalid payload length 126')]
  ],
  [
    'opcode checked before the mask bit',
    '83 00',
    SERVER,
    [frameError('WS_ERR_INVALID_OPCODE', 1002, 'invalid opcode 3')]
  ],
  ['unmasked frame at a server', '81 00', SERVER, [frameError('WS_ERR_EXPECTED_MASK', 1002, 'MASK must be set')]],
  ['unmasked ping at a server', '89 00', SERVER, [frameError('WS_ERR_EXPECTED_MASK', 1002, 'MASK must be set')]],
  [
    'masked frame at a client',
    '81 80 00 00 00 00',
    CLIENT,
    [frameError('WS_ERR_UNEXPECTED_MASK', 1002, 'MASK must be clear')]
  ],
  [
    'masked close at a client',
    '88 82 00 00 00 00 03 e8',
    CLIENT,
    [frameError('WS_ERR_UNEXPECTED_MASK', 1002, 'MASK must be clear')]
  ],
  [
    '64-bit length 2^53',
    '82 7f 00 20 00 00 00 00 00 00',
    CLIENT,
    [
      'error:RangeError:WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH:1009:Unsupported WebSocket frame: payload length > 2^53 - 1'
    ]
  ],
  [
    '64-bit length with the top bit',
    '82 7f 80 00 00 00 00 00 00 00',
    CLIENT,
    [
      'error:RangeError:WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH:1009:Unsupported WebSocket frame: payload length > 2^53 - 1'
    ]
  ],
  [
    '64-bit length 2^53 at a server',
    '82 ff 00 20 00 00 00 00 00 00',
    SERVER,
    [
      'error:RangeError:WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH:1009:Unsupported WebSocket frame: payload length > 2^53 - 1'
    ]
  ],
  [
    'message over maxPayload',
    '82 05 01 02 03 04 05',
    { ...CLIENT, maxPayload: 4 },
    ['error:RangeError:WS_ERR_UNSUPPORTED_MESSAGE_LENGTH:1009:Max payload size exceeded']
  ],
  ['message of exactly maxPayload', '82 04 01 02 03 04', { ...CLIENT, maxPayload: 4 }, ['message:binary:01020304']],
  [
    'fragments summing over maxPayload',
    '02 03 01 02 03 80 03 04 05 06',
    { ...CLIENT, maxPayload: 5 },
    ['error:RangeError:WS_ERR_UNSUPPORTED_MESSAGE_LENGTH:1009:Max payload size exceeded']
  ],
  [
    'control frames do not count toward maxPayload',
    '02 02 01 02 89 05 68 65 6c 6c 6f 80 02 03 04',
    { ...CLIENT, maxPayload: 4 },
    ['ping:68656c6c6f', 'message:binary:01020304']
  ],
  [
    'maxFragments passed',
    '02 01 01 00 01 02 80 01 03',
    { ...CLIENT, maxFragments: 2 },
    ['error:RangeError:WS_ERR_TOO_MANY_BUFFERED_PARTS:1008:Too many message fragments']
  ],
  ['maxFragments reached exactly', '02 01 01 80 01 02', { ...CLIENT, maxFragments: 2 }, ['message:binary:0102']],
  [
    'maxFragments counts per message',
    '82 01 01 82 01 02 82 01 03',
    { ...CLIENT, maxFragments: 1 },
    ['message:binary:01', 'message:binary:02', 'message:binary:03']
  ],
  [
    'maxFragments counts empty fragments',
    '02 00 00 00 80 00',
    { ...CLIENT, maxFragments: 2 },
    ['error:RangeError:WS_ERR_TOO_MANY_BUFFERED_PARTS:1008:Too many message fragments']
  ],
  [
    'invalid UTF-8 text',
    '81 01 ff',
    CLIENT,
    [frameError('WS_ERR_INVALID_UTF8', 1007, 'invalid UTF-8 sequence', 'Error')]
  ],
  [
    'surrogate in text',
    '81 03 ed a0 80',
    CLIENT,
    [frameError('WS_ERR_INVALID_UTF8', 1007, 'invalid UTF-8 sequence', 'Error')]
  ],
  [
    'truncated code point at the end of text',
    '81 02 e2 82',
    CLIENT,
    [frameError('WS_ERR_INVALID_UTF8', 1007, 'invalid UTF-8 sequence', 'Error')]
  ],
  [
    'fragmented text truncated at FIN',
    '01 02 e2 82 80 00',
    CLIENT,
    [frameError('WS_ERR_INVALID_UTF8', 1007, 'invalid UTF-8 sequence', 'Error')]
  ],
  ['code point split across fragments is fine', '01 02 e2 82 80 01 ac', CLIENT, ['message:text:e282ac']],
  [
    'invalid UTF-8 close reason',
    '88 03 03 e8 ff',
    CLIENT,
    [frameError('WS_ERR_INVALID_UTF8', 1007, 'invalid UTF-8 sequence', 'Error')]
  ],
  [
    'close code 1004',
    '88 02 03 ec',
    CLIENT,
    [frameError('WS_ERR_INVALID_CLOSE_CODE', 1002, 'invalid status code 1004')]
  ],
  [
    'close code 1005 on the wire',
    '88 02 03 ed',
    CLIENT,
    [frameError('WS_ERR_INVALID_CLOSE_CODE', 1002, 'invalid status code 1005')]
  ],
  [
    'close code 1006 on the wire',
    '88 02 03 ee',
    CLIENT,
    [frameError('WS_ERR_INVALID_CLOSE_CODE', 1002, 'invalid status code 1006')]
  ],
  [
    'close code 1015',
    '88 02 03 f7',
    CLIENT,
    [frameError('WS_ERR_INVALID_CLOSE_CODE', 1002, 'invalid status code 1015')]
  ],
  ['close code 999', '88 02 03 e7', CLIENT, [frameError('WS_ERR_INVALID_CLOSE_CODE', 1002, 'invalid status code 999')]],
  [
    'close code 5000',
    '88 02 13 88',
    CLIENT,
    [frameError('WS_ERR_INVALID_CLOSE_CODE', 1002, 'invalid status code 5000')]
  ],
  [
    'close code checked before the reason',
    '88 03 03 ec ff',
    CLIENT,
    [frameError('WS_ERR_INVALID_CLOSE_CODE', 1002, 'invalid status code 1004')]
  ],
  [
    'events before the error are kept',
    '89 01 61 81 01 62 82 01 63 a1 00',
    CLIENT,
    [
      'ping:61',
      'message:text:62',
      'message:binary:63',
      frameError('WS_ERR_UNEXPECTED_RSV_2_3', 1002, 'RSV2 and RSV3 must be clear')
    ]
  ],
  [
    'nothing is read after an error',
    'a1 00 81 01 61',
    CLIENT,
    [frameError('WS_ERR_UNEXPECTED_RSV_2_3', 1002, 'RSV2 and RSV3 must be clear')]
  ]
];
