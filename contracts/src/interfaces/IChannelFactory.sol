// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IChannelFactory
/// @notice Deploys channels at addresses known in advance (DESIGN §4.1).
interface IChannelFactory {
    /// @notice Emitted for each channel created.
    event ChannelCreated(address indexed channel, address indexed alice, address indexed bob);

    /// @notice The ETH sent does not match the deposit amount, or ETH was sent with a token.
    error InvalidDepositValue(uint256 amount, uint256 value);

    /// @notice The channel between these parties is already deployed.
    error ChannelAlreadyExists(address channel);

    /// @notice The mastercopy every channel clones.
    function getMastercopy() external view returns (address);

    /// @notice The CREATE2 salt of a channel: `keccak256(abi.encode(alice, bob, chainId))`.
    function getChannelSalt(address alice, address bob) external view returns (bytes32);

    /// @notice Where the channel between `alice` and `bob` lives, deployed or not.
    function getChannelAddress(address alice, address bob) external view returns (address);

    /// @notice Deploys and sets up the channel between `alice` and `bob`.
    function createChannel(address alice, address bob) external returns (address channel);

    /// @notice Deploys the channel unless it exists, then deposits for alice, in one
    /// transaction. For a token, approve the factory for `amount` first.
    function createChannelAndDepositAlice(address alice, address bob, address assetId, uint256 amount)
        external
        payable
        returns (address channel);
}
