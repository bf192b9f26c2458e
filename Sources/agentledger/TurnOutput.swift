import AgentLedger

/// How `turns` and `find` print user turns.
enum TurnOutput {
    /// A table (TURN, SEQ, TIME, PREVIEW), or with `json` an array of
    /// `{"turn","seq","time","preview","content"}`.
    static func write(_ turns: [ConversationTurn], json: Bool, to output: inout OutputBuffer) {
        if json {
            output.line(
                JSONText.array(
                    turns.map { turn in
                        var object = JSONText()
                        object.number("turn", turn.turn)
                        object.number("seq", turn.sequence)
                        object.string("time", Timestamp.format(turn.timestamp))
                        object.string("preview", turn.preview)
                        object.string("content", turn.content)
                        return object.object
                    }
                )
            )
        } else {
            var table = TextTable(["TURN", "SEQ", "TIME", "PREVIEW"])
            for turn in turns {
                table.add(["\(turn.turn)", "\(turn.sequence)", Timestamp.format(turn.timestamp), turn.preview])
            }
            for line in table.lines {
                output.line(line)
            }
        }
    }
}
