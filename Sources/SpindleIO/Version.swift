/// Spindle's version, recorded in every manifest a command writes.
public enum SpindleVersion {
    public static let string = "0.1.0"
}
