public import AgentLedger

/// Builds conversation items for tests.
public enum ItemFactory {
    /// `{"role":"user","content":TEXT}`.
    public static func user(_ text: String) -> SessionItem {
        item(["role": .string("user"), "content": .string(text)])
    }

    /// An assistant message with an `output_text` part.
    public static func assistant(_ text: String) -> SessionItem {
        item([
            "type": .string("message"),
            "role": .string("assistant"),
            "content": .array([.object(["type": .string("output_text"), "text": .string(text)])]),
        ])
    }

    /// A `function_call` item.
    public static func functionCall(_ name: String, arguments: String = "{}", callID: String = "call_1") -> SessionItem
    {
        item([
            "type": .string("function_call"),
            "name": .string(name),
            "arguments": .string(arguments),
            "call_id": .string(callID),
        ])
    }

    /// A `function_call_output` item.
    public static func functionOutput(_ output: String, callID: String = "call_1") -> SessionItem {
        item(["type": .string("function_call_output"), "call_id": .string(callID), "output": .string(output)])
    }

    /// An item from a JSON object's fields.
    public static func item(_ fields: [String: JSONValue]) -> SessionItem {
        // The value is an object by construction, so this cannot fail.
        try! SessionItem(.object(fields))
    }
}
