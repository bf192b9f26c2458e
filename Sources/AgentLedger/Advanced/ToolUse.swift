/// How often a tool was called in one turn, as listed by ``LedgerSession/toolUsage(branch:asOf:)``.
public struct ToolUse: Sendable, Hashable {
    /// The tool name (`get_weather`, `server_label.name`, `web_search_call`, ...), or `nil` for
    /// the calls whose tool name cannot be told (a `function_call` without a `name`, an
    /// `mcp_call` with neither `server_label` nor `name`, ...): the SDK counts those under `None`.
    public let toolName: String?
    /// Calls in that turn.
    public let callCount: Int
    /// The turn.
    public let turn: Int

    /// Creates a tool-use entry; `toolName` is `nil` for calls without a tool name.
    public init(toolName: String?, callCount: Int, turn: Int) {
        self.toolName = toolName
        self.callCount = callCount
        self.turn = turn
    }
}
